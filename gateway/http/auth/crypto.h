// The few cryptographic operations auth needs, through libsodium: Argon2id password hashes,
// random session ids and tokens, SHA-256 for storing them, and a constant-time comparison.
// Every function is thread-safe; hashing a password blocks for a noticeable time (see
// PasswordParams) and so never runs on the io_context thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace farmgate::http::auth {

// Argon2id cost. The default is libsodium's OPSLIMIT_INTERACTIVE (2 passes) with 19 MiB of
// memory instead of its 64 MiB: measured at ~35 ms on an x86 server core (64 MiB: ~140 ms), so
// an estimated ~0.3 s on a Raspberry Pi 3, where 64 MiB would take about a second and a
// noticeable share of its 1 GB. 19 MiB with 2 passes is OWASP's minimum for Argon2id. The
// parameters are stored in each hash, so raising them later still verifies old hashes. Tests
// use minimal() to stay fast.
struct PasswordParams {
  unsigned long long ops;
  std::size_t mem_bytes;

  static PasswordParams standard();
  static PasswordParams minimal();
};

// Initialises libsodium (idempotent). Fails only when the system has no entropy source.
Result<void> init_crypto();

// "$argon2id$v=19$m=...": salted, with its parameters. Fails ("hash") only when out of memory.
Result<std::string> hash_password(std::string_view password, const PasswordParams& params);
// True when `password` matches `hash`; false for a wrong password or a malformed hash.
bool verify_password(std::string_view hash, std::string_view password);

// `bytes` random bytes from the system's CSPRNG, as lowercase hex (2 * bytes characters).
std::string random_hex(std::size_t bytes);
// SHA-256 of `data`, lowercase hex: how session ids and API tokens are stored.
std::string sha256_hex(std::string_view data);
// Equal contents, in time that depends only on the lengths.
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace farmgate::http::auth
