"""Revenue cycle: claims out (charges, scrubber, 837P batches, clearinghouse) and, later, money in."""
