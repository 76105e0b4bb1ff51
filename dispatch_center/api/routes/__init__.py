"""One router per resource; a handler parses, calls one service function and returns a
response model.
"""
