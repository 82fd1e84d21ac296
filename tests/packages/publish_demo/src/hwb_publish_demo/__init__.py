VALUE = "demo"
