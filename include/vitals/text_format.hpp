// vitals/text_format.hpp - renders a registry in the Prometheus text exposition format 0.0.4
// (write_text(), to_text(), text_content_type); the writer is in <vitals/exposition/text.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TEXT_FORMAT_HPP
#define VITALS_TEXT_FORMAT_HPP

#include <vitals/exposition/text.hpp>

#endif // VITALS_TEXT_FORMAT_HPP
