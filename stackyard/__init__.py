"""Stackyard: CloudFormation environments generated from typed params, linted, and deployed."""

__version__ = "0.1.0"
