"""What the console knows about the models: the server index merged with the disk."""
