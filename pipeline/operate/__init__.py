"""Operate: what running the pipeline needs around the stages.

schedule  slot times, ids and folders, and the status line
slots     which slot is due, by the slot ledger (exactly once)
lock      one run at a time, one scheduler at a time
progress  what a run reports while it works
memory    freed memory given back between stages
"""
