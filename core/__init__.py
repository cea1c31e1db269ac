"""The ground floor every app stands on: the application's error, field encryption, validators.

It imports no app of the IMS.
"""
