# A server hardened on its first boot by firstboot, made by Terraform. Before `terraform apply`:
#
#   firstboot generate -c firstboot.yaml --host-key web1 --out user-data.yaml
#
# which pins the server's host key as web1 in ~/.ssh/known_hosts. The apply ends with `firstboot
# wait`: it returns once the server is hardened, fails when the run failed, and leaves `ssh web1`
# working. Not run by firstboot's tests (Terraform is not in Debian); see the README.

terraform {
  required_providers {
    hcloud = {
      source  = "hetznercloud/hcloud"
      version = "~> 1.49"
    }
  }
}

variable "name" {
  description = "the server's name, and the name its host key was pinned under (generate --host-key)"
  type        = string
  default     = "web1"
}

# HCLOUD_TOKEN in the environment
provider "hcloud" {}

# Root gets this key until the payload shuts root out: firstboot wait follows the run as root until
# the admin exists, so that no login as a user who does not exist yet counts against fail2ban.
resource "hcloud_ssh_key" "me" {
  name       = "${var.name}-me"
  public_key = file(pathexpand("~/.ssh/id_ed25519.pub"))
}

resource "hcloud_server" "server" {
  name        = var.name
  server_type = "cx23"
  image       = "debian-12"
  location    = "fsn1"
  ssh_keys    = [hcloud_ssh_key.me.id]
  user_data   = file("${path.module}/user-data.yaml")

  # every generate makes a new host key, so the file changes each time; a new user_data would
  # replace the server
  lifecycle {
    ignore_changes = [user_data]
  }

  provisioner "local-exec" {
    command = "firstboot wait ${self.ipv4_address} --as ${var.name} -c ${path.module}/firstboot.yaml"
  }
}

output "ssh" {
  value = "ssh ${var.name}"
}
