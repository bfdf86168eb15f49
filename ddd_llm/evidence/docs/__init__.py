"""Static evidence from documentation: procedures and documented ranges, read without a model."""
