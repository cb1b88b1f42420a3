"""Training: SGD, schedules, the loop, checkpoints, runs over several seeds."""
