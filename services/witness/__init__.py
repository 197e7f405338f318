"""The witness: a small standalone service that cosigns the checkpoints of the logs it follows
(C2SP tlog-witness), so that no log operator can show two different logs unnoticed."""
