# The "before" of docs/anti-patterns.md: a CI role as it often looks right
# after a migration from access keys. Every block here is a trap the page
# explains; do not apply it.

provider "aws" {
  region  = "eu-west-1"
  profile = "prod" # beats the job's OIDC credentials (environment variables)
}

resource "aws_iam_role" "ci" {
  name = "terraform-ci" # one role for plan (pull requests) and apply (main)
  assume_role_policy = file("${path.module}/ci-shared-role.json")
}

resource "aws_iam_role_policy_attachment" "ci_admin" {
  role       = aws_iam_role.ci.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
