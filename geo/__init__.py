"""The pure geography: areas of the four tiers, locating points, the duty catalogue with
its asset layers, datums (WGS-84, GCJ-02), geofence checks and enter/exit tracking.
"""
