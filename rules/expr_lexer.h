// Lexer for the expression language (internal to rules/expr*): turns the text into tokens with
// byte offsets. Never fails as a whole: a character or literal it cannot read becomes an
// `error` token carrying the message, so the caller can report every one of them. Pure; any
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace farmgate::rules::expr_detail {

enum class Tok : std::uint8_t {
  name,      // identifier or dotted metric reference: [A-Za-z_][A-Za-z0-9_.-]*
  number,    // 30, 0.5
  duration,  // 30s, 15m, 2h, 1d, 1h30m; value in milliseconds
  time,      // 05:00, 17:45:30; value in milliseconds since midnight
  lparen,
  rparen,
  lbracket,
  rbracket,
  comma,
  plus,
  minus,
  star,
  slash,
  lt,
  le,
  gt,
  ge,
  eq,
  ne,
  end,
  error,
};

struct Token {
  Tok kind = Tok::end;
  std::uint32_t offset = 0;  // bytes from the start of the text
  std::uint32_t length = 0;  // bytes
  double value = 0;          // number, duration, time
  std::string message;       // error tokens only
};

// The tokens of `text`, always ending with one `end` token.
std::vector<Token> lex(std::string_view text);

// How a token kind is shown in messages: "')'", "a number", "the end of the expression".
const char* describe(Tok kind);

}  // namespace farmgate::rules::expr_detail
