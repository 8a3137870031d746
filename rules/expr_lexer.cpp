#include "rules/expr_lexer.h"

#include <charconv>
#include <cstdint>
#include <optional>

namespace farmgate::rules::expr_detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_name_start(char c) {
  return is_alpha(c) || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c) || c == '-' || c == '.';
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "1h30m" -> milliseconds; each part is a number (decimals allowed) and one of s, m, h, d.
std::optional<double> parse_duration(std::string_view s) {
  double total = 0;
  std::size_t i = 0;
  if (s.empty()) return std::nullopt;
  while (i < s.size()) {
    const std::size_t start = i;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) ++i;
    if (i == start || i == s.size()) return std::nullopt;
    const auto n = parse_number(s.substr(start, i - start));
    if (!n) return std::nullopt;
    double unit = 0;
    switch (s[i]) {
      case 's':
        unit = 1000;
        break;
      case 'm':
        unit = 60'000;
        break;
      case 'h':
        unit = 3'600'000;
        break;
      case 'd':
        unit = 86'400'000;
        break;
      default:
        return std::nullopt;
    }
    ++i;
    total += *n * unit;
  }
  return total;
}

// "05:00", "5:00", "17:45:30" -> milliseconds since midnight.
std::optional<double> parse_time(std::string_view s) {
  int parts[3] = {0, 0, 0};
  int count = 0;
  std::size_t i = 0;
  while (i <= s.size() && count < 3) {
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    const std::size_t len = i - start;
    if (len == 0 || len > 2 || (count > 0 && len != 2)) return std::nullopt;
    parts[count++] = std::stoi(std::string(s.substr(start, len)));
    if (i == s.size()) break;
    if (s[i] != ':') return std::nullopt;
    ++i;
  }
  if (i != s.size() || count < 2) return std::nullopt;
  if (parts[0] > 23 || parts[1] > 59 || parts[2] > 59) return std::nullopt;
  return ((parts[0] * 60.0 + parts[1]) * 60.0 + parts[2]) * 1000.0;
}

std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto c = static_cast<unsigned char>(text[at]);
  std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  std::size_t len = 1;
  while (len < n && at + len < text.size() &&
         (static_cast<unsigned char>(text[at + len]) & 0xC0) == 0x80) {
    ++len;
  }
  return len;
}

}  // namespace

std::vector<Token> lex(std::string_view text) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto push = [&](Tok kind, std::size_t start, std::size_t len, double value = 0,
                  std::string message = {}) {
    out.push_back(Token{kind, static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(len),
                        value, std::move(message)});
  };
  while (i < text.size()) {
    const char c = text[i];
    const std::size_t start = i;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (is_name_start(c)) {
      while (i < text.size() && is_name_char(text[i])) ++i;
      push(Tok::name, start, i - start);
      continue;
    }
    if (is_digit(c)) {
      // A literal runs over digits, letters, '.' and ':' so that "1h30m", "0.5" and "05:00" are
      // each one token and "5x" is one bad token rather than 5 followed by a name.
      bool colon = false;
      bool alpha = false;
      while (i < text.size() &&
             (is_digit(text[i]) || is_alpha(text[i]) || text[i] == '.' || text[i] == ':')) {
        colon = colon || text[i] == ':';
        alpha = alpha || is_alpha(text[i]);
        ++i;
      }
      const std::string_view lit = text.substr(start, i - start);
      const std::string shown(lit);
      if (colon) {
        if (const auto t = parse_time(lit); t && !alpha) {
          push(Tok::time, start, lit.size(), *t);
        } else {
          push(Tok::error, start, lit.size(), 0,
               "'" + shown + "' is not a time of day: write HH:MM from 00:00 to 23:59, e.g. 05:30");
        }
      } else if (alpha) {
        if (const auto d = parse_duration(lit)) {
          push(Tok::duration, start, lit.size(), *d);
        } else {
          push(Tok::error, start, lit.size(), 0,
               "'" + shown +
                   "' is not a duration: write a number followed by s, m, h or d, e.g. 30m or "
                   "1h30m");
        }
      } else if (const auto n = parse_number(lit)) {
        push(Tok::number, start, lit.size(), *n);
      } else {
        push(Tok::error, start, lit.size(), 0, "'" + shown + "' is not a number");
      }
      continue;
    }
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (c) {
      case '(':
        push(Tok::lparen, start, 1);
        ++i;
        continue;
      case ')':
        push(Tok::rparen, start, 1);
        ++i;
        continue;
      case '[':
        push(Tok::lbracket, start, 1);
        ++i;
        continue;
      case ']':
        push(Tok::rbracket, start, 1);
        ++i;
        continue;
      case ',':
        push(Tok::comma, start, 1);
        ++i;
        continue;
      case '+':
        push(Tok::plus, start, 1);
        ++i;
        continue;
      case '-':
        push(Tok::minus, start, 1);
        ++i;
        continue;
      case '*':
        push(Tok::star, start, 1);
        ++i;
        continue;
      case '/':
        push(Tok::slash, start, 1);
        ++i;
        continue;
      case '<':
        if (next == '=')
          push(Tok::le, start, 2);
        else
          push(Tok::lt, start, 1);
        i += next == '=' ? 2 : 1;
        continue;
      case '>':
        if (next == '=')
          push(Tok::ge, start, 2);
        else
          push(Tok::gt, start, 1);
        i += next == '=' ? 2 : 1;
        continue;
      case '=':
        if (next == '=') {
          push(Tok::eq, start, 2);
          i += 2;
        } else {
          push(Tok::error, start, 1, 0, "use '==' to test equality");
          ++i;
        }
        continue;
      case '!':
        if (next == '=') {
          push(Tok::ne, start, 2);
          i += 2;
        } else {
          push(Tok::error, start, 1, 0, "use 'not' to negate a condition");
          ++i;
        }
        continue;
      case '&':
        i += next == '&' ? 2 : 1;
        push(Tok::error, start, i - start, 0, "use 'and' to combine conditions");
        continue;
      case '|':
        i += next == '|' ? 2 : 1;
        push(Tok::error, start, i - start, 0, "use 'or' to combine conditions");
        continue;
      default:
        break;
    }
    const std::size_t len = utf8_length(text, i);
    i += len;
    if (c == '"' || c == '\'') {
      push(Tok::error, start, len, 0,
           "unexpected quote: names and values are written without quotes");
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7F) {
      push(Tok::error, start, len, 0, "unexpected control character");
    } else {
      push(Tok::error, start, len, 0,
           "unexpected character '" + std::string(text.substr(start, len)) + "'");
    }
  }
  push(Tok::end, text.size(), 0);
  return out;
}

const char* describe(Tok kind) {
  switch (kind) {
    case Tok::name:
      return "a name";
    case Tok::number:
      return "a number";
    case Tok::duration:
      return "a duration";
    case Tok::time:
      return "a time of day";
    case Tok::lparen:
      return "'('";
    case Tok::rparen:
      return "')'";
    case Tok::lbracket:
      return "'['";
    case Tok::rbracket:
      return "']'";
    case Tok::comma:
      return "','";
    case Tok::plus:
      return "'+'";
    case Tok::minus:
      return "'-'";
    case Tok::star:
      return "'*'";
    case Tok::slash:
      return "'/'";
    case Tok::lt:
      return "'<'";
    case Tok::le:
      return "'<='";
    case Tok::gt:
      return "'>'";
    case Tok::ge:
      return "'>='";
    case Tok::eq:
      return "'=='";
    case Tok::ne:
      return "'!='";
    case Tok::end:
      return "the end of the expression";
    case Tok::error:
      return "an unreadable token";
  }
  return "?";
}

}  // namespace farmgate::rules::expr_detail
