"""add-checkpoint: check a log's new checkpoint against the last one cosigned, keep it, cosign
it; and what monitors read back (latest cosigned checkpoints, evidence of equivocation)."""
