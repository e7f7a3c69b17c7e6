"""The sidecar side of the suite: the real sidecar process over loopback HTTP."""
