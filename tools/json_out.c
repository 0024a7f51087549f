/* SCAFFOLD: JSON output helpers, replaced by the CLI work. */
typedef int json_out_placeholder;
