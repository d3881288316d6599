"""``skfashion fetch``: find or download Fashion-MNIST."""


def cmd_fetch(args):
    from ..datasets import locate_fashion_mnist

    files = locate_fashion_mnist(data_home=args.data_home)
    for name, rec in files.items():
        print(f"{name}  {rec['path']}  sha256 {rec['sha256']}")
    return 0
