#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

/* Function-like macros Swift cannot import, as inline functions (used by AerieCurses only). */
static inline attr_t aerie_attr_bold(void) { return A_BOLD; }
static inline attr_t aerie_attr_dim(void) { return A_DIM; }
static inline attr_t aerie_attr_underline(void) { return A_UNDERLINE; }
static inline attr_t aerie_attr_reverse(void) { return A_REVERSE; }
static inline int aerie_key_f(int n) { return KEY_F(n); }
static inline mmask_t aerie_mouse_events(void) {
    return BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED;
}
static inline int aerie_mouse_is_click(mmask_t s) { return (s & (BUTTON1_PRESSED | BUTTON1_CLICKED)) != 0; }
static inline int aerie_mouse_is_wheel_up(mmask_t s) { return (s & BUTTON4_PRESSED) != 0; }
static inline int aerie_mouse_is_wheel_down(mmask_t s) { return (s & BUTTON5_PRESSED) != 0; }
/* tigetstr answers (char *)-1 for "not a string capability": report both that and NULL as absent. */
static inline int aerie_has_string_capability(const char *name) {
    char *value = tigetstr(name);
    return value != NULL && value != (char *)-1;
}
/* ncurses' and stdio's globals as functions (Swift 6 rejects reading C globals directly). */
static inline WINDOW *aerie_stdscr(void) { return stdscr; }
static inline WINDOW *aerie_curscr(void) { return curscr; }
static inline int aerie_colors(void) { return COLORS; }
static inline int aerie_color_pairs(void) { return COLOR_PAIRS; }
static inline FILE *aerie_stdout(void) { return stdout; }
static inline FILE *aerie_stdin(void) { return stdin; }
