# Tutorial kernels run locally on loopback: keep their TCP notice out of the docs build.
c = get_config()  # noqa: F821 - provided by IPython when it reads this file
c.IPKernelApp.log_level = "ERROR"
