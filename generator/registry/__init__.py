"""What can be explained: models, datasets and descriptor pools (see ``architecture.md``)."""
