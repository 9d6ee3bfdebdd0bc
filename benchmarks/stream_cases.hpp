// Registers recur_bench's streaming cases (stream_cases.cpp).
#pragma once

void register_stream_cases();
