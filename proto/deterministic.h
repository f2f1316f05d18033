// Deterministic protobuf bytes: the one serializer behind the ledger's
// canonical form (hashes) and the replay's item equality and snapshots.
#pragma once

#include <cstddef>
#include <string>

#include <google/protobuf/message.h>

namespace demarche {

// Replaces *out with `message` serialized deterministically (map entries
// sorted), sized once up front, with capacity for `extra` more bytes (so a
// caller can append a trailing field without a reallocation). *out's
// capacity is reused: a caller serializing many messages keeps one buffer.
// Computes the sizes itself, so it is safe after the message was mutated.
void SerializeDeterministic(const google::protobuf::Message& message, std::string* out,
                            size_t extra = 0);

// The same, appended to *out's current bytes.
void AppendDeterministic(const google::protobuf::Message& message, std::string* out,
                         size_t extra = 0);

// The same, into a new string.
std::string DeterministicBytes(const google::protobuf::Message& message);

}  // namespace demarche
