LEAK = True
