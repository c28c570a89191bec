"""Settings: the environment and `.env`, the app-editable settings file, and the run settings
declared once."""
