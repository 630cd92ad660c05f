# Tutorial kernels run locally on loopback: keep their TCP notice out of the docs build.
c.IPKernelApp.log_level = "ERROR"
