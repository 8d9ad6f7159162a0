"""AWS calls the wave's actions make (the AWS resources themselves are pulumi-aws resources)."""
