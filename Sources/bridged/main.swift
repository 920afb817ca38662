print("bridged")
