// SHA-256 through OpenSSL's EVP interface, the one hash of the ledger's
// chain, its Merkle trees and its key ids.
#pragma once

#include <openssl/types.h>

#include <string>
#include <string_view>

namespace demarche::tlog {

inline constexpr size_t kSha256Bytes = 32;

// SHA-256 of raw bytes. Throws std::runtime_error only if OpenSSL cannot
// allocate a digest context.
std::string Sha256(std::string_view bytes);

// The algorithm, fetched once: OpenSSL 3 looks EVP_sha256() up in its
// provider table (locks included) on every use otherwise. For streaming
// digests (EVP_DigestInit_ex2).
const EVP_MD* Sha256Md();

}  // namespace demarche::tlog
