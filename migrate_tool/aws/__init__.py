"""The AWS side of a wave: discover EC2 instances, check their eligibility, prepare them through SSM."""
