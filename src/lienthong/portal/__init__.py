"""Public service portal: dossier status sync, procedure catalogue, sync quality, feedback."""
