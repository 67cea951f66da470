"""Federation: hub-to-hub links, the routing directory and store-and-forward (deployment mode 3)."""
