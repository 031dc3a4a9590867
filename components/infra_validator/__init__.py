"""infra_validator: serve the candidate in a real server process and check real requests ->
InfraBlessing."""
