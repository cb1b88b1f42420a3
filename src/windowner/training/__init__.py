"""Training: SGD, schedules, the loop, building a model, checkpoints, runs over seeds.

May import: data, vectors, features, model, evaluation, config, choices, errors, atomic,
model_file, model_file_checks; numpy, tqdm, matplotlib.
"""
