#include "gateway/http/auth/crypto.h"

#include <sodium.h>

#include <vector>

namespace farmgate::http::auth {

PasswordParams PasswordParams::standard() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, std::size_t{19} << 20};
}

PasswordParams PasswordParams::minimal() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Result<void> init_crypto() {
  if (sodium_init() < 0) return make_error("crypto", "libsodium could not initialise");
  return {};
}

Result<std::string> hash_password(std::string_view password, const PasswordParams& params) {
  if (auto r = init_crypto(); !r) return r.error();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), params.ops, params.mem_bytes) != 0) {
    return make_error("hash", "password hashing failed (out of memory?)");
  }
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (!init_crypto() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  // libsodium wants a NUL-terminated string.
  const std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

std::string random_hex(std::size_t bytes) {
  (void)init_crypto();  // randombytes works (and aborts on failure) even without it
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  sodium_memzero(raw.data(), raw.size());
  return hex;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string hex(sizeof digest * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
  hex.pop_back();
  return hex;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace farmgate::http::auth
