# Sourced by the setup scripts: `apt_install [apt-get option…] PKG…` installs Debian packages when setup steps run in parallel.
# Two steps may call apt-get at the same moment (setup-all.sh starts them together) and a fresh machine may be
# running its own apt at boot: wait for dpkg's lock instead of failing on it, and refresh the package lists once
# when a package is not found.
apt_install() {
  local i apt=(apt-get -o DPkg::Lock::Timeout=600 -qq)
  export DEBIAN_FRONTEND=noninteractive
  for i in 1 2 3; do
    "${apt[@]}" install -y "$@" && return 0
    "${apt[@]}" update || sleep 20
  done
  return 1
}
