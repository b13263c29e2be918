# A golden image of a firstboot config, built by Packer's Hetzner builder instead of `firstboot image`.
# Before `packer build`:
#
#   firstboot generate -c firstboot.yaml --for-image --out image-user-data.yaml
#
# prints the snapshot's two labels: pass them as -var firstboot_version=... -var firstboot_config=...
# Servers from the snapshot: firstboot create NAME -c firstboot.yaml --image ID. Not run by
# firstboot's tests (Packer is not in Debian); see the README.

packer {
  required_plugins {
    hcloud = {
      source  = "github.com/hetznercloud/hcloud"
      version = ">= 1.6.0"
    }
  }
}

variable "firstboot_version" {
  type = string
}

variable "firstboot_config" {
  type = string
}

source "hcloud" "golden" {
  image          = "debian-12"
  location       = "fsn1"
  server_type    = "cx23"
  ssh_username   = "root"
  user_data_file = "image-user-data.yaml"
  snapshot_name  = "firstboot-${var.firstboot_config}"
  # what firstboot create --image reads to know the snapshot's config and payload
  snapshot_labels = {
    "firstboot-version" = var.firstboot_version
    "firstboot-config"  = var.firstboot_config
  }
}

build {
  sources = ["source.hcloud.golden"]

  # cloud-init waits for firstboot's run, which ends by clearing the builder's per-server state and
  # powering it off: the session ends there, as expected
  provisioner "shell" {
    inline            = ["cloud-init status --wait || true"]
    expect_disconnect = true
  }
}
