"""The HTTP tier: the published run API and the management API. No NiceGUI here; handlers are
adapters over the services the platform composes (runs through ``flowai.runs.service``) and import
neither ``storage`` nor ``nodes``."""
