#pragma once
// qcustomplot.h (Debian 2.1.0) uses Qt's `signals`/`slots`/`emit`/`foreach` keywords, which the
// whole project disables (QT_NO_KEYWORDS, because `slots` breaks Torch headers). Map them to the
// Q_ forms for this one header only.
#pragma push_macro("signals")
#pragma push_macro("slots")
#pragma push_macro("emit")
#pragma push_macro("foreach")
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
#pragma pop_macro("foreach")
#pragma pop_macro("emit")
#pragma pop_macro("slots")
#pragma pop_macro("signals")
