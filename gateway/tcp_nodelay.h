// TCP_NODELAY for Paho's sockets. Paho C 1.3.12 (Debian 12) cannot set it (the option arrived
// upstream in 1.3.14), and with Nagle's algorithm on, a small publish that follows another one
// waits for the broker's ACK of the first — up to the 40 ms of a delayed ACK. A valve command
// that answers a reading is exactly that (PUBACK out, then the command). So after each connect
// the gateway finds its own sockets connected to the broker's port and sets the option on them.
//
// Any thread; only system calls on this process's own descriptors.
#pragma once

#include <string_view>

namespace farmgate::gateway {

// The broker's TCP port from an MQTT URL (tcp://h:1883, ssl://h, mqtts://h:8883, ...); 0 when
// the URL names none and the scheme has no default (websockets run over HTTP: left alone).
int mqtt_url_port(std::string_view url);

// Sets TCP_NODELAY on every TCP socket of this process whose peer port is `port`; the count.
int set_tcp_nodelay_to_port(int port);

}  // namespace farmgate::gateway
