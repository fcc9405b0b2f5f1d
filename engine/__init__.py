"""cloudtrail-to-slack: CloudTrail records in, the Slack messages that matter out.

Data flows one way through one module per stage:
sources → rules (with filterpattern) → messages → delivery; `cli` and `handler.py` wire them.
"""

__version__ = "0.1.0"
