#include "services/signing_key.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace demarche::services {
namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

absl::StatusOr<tlog::Signer> Create(const std::string& path, std::string name) {
  if (name.empty()) {
    unsigned char r[4];
    if (RAND_bytes(r, sizeof r) != 1) return absl::InternalError("OpenSSL has no random bytes");
    name = fmt::format("demarche-{:02x}{:02x}{:02x}{:02x}", r[0], r[1], r[2], r[3]);
  }
  auto signer = tlog::Signer::Generate(name);
  if (!signer.ok()) return signer.status();
  // O_EXCL: two servers starting at once do not each write a key.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create the signing key", path);
  const std::string text = signer->Key() + "\n";
  const bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(path.c_str());
    return Errno("cannot write the signing key", path);
  }
  return signer;
}

}  // namespace

absl::StatusOr<tlog::Signer> LoadOrCreateSigningKey(const std::string& path,
                                                    const std::string& name) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Create(path, name);
    return Errno("cannot read the signing key", path);
  }
  if ((st.st_mode & 077) != 0)
    return absl::FailedPreconditionError(
        fmt::format("the signing key {} may be read by others (mode {:o}); chmod 600 it", path,
                    st.st_mode & 0777));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Errno("cannot read the signing key", path);
  std::string key = text.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  auto signer = tlog::Signer::FromKey(key);
  if (!signer.ok())
    return absl::FailedPreconditionError(
        fmt::format("the signing key {}: {}", path, std::string(signer.status().message())));
  return signer;
}

}  // namespace demarche::services
