"""`pytest verify/ --profile local|aws`: options, fixtures and the report come from the comind-verify plugin."""
