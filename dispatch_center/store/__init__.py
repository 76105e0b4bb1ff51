"""The only place with SQL: PostgreSQL through psycopg 3, one module per part of the data,
migrations in ``migrations/``. ``changes`` owns the change log, ``locks`` the advisory
lock keys.

May import the pure domain and the settings; imports no service.
"""
