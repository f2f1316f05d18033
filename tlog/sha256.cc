#include "tlog/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace demarche::tlog {

const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

std::string Sha256(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest is a one-shot init/update/final; it only fails on allocation.
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, Sha256Md(), nullptr) != 1 ||
      len != kSha256Bytes)
    throw std::runtime_error("EVP_Digest(SHA-256) failed");
  return std::string(reinterpret_cast<const char*>(digest), len);
}

}  // namespace demarche::tlog
