"""The claim scrubber: edits as data, run before submission."""
