/*
 * date: calendar dates as day numbers (days since 1970-01-01), and the month
 * and fiscal-period arithmetic of the rules.  No time zones here: a business
 * date is a plain date.
 */
#ifndef ACCRUE_DATE_H
#define ACCRUE_DATE_H

#include <stdint.h>

typedef int32_t date_t;

#define DATE_FMT_SIZE 16

/* The dates accrue takes: 1900-01-01 to 9000-12-31, so that a date plus a
 * payment window, an expiry or a fiscal year never leaves what PostgreSQL
 * and the calendar arithmetic hold. */
#define DATE_MIN_YEAR 1900
#define DATE_MAX_YEAR 9000
#define DATE_RANGE_TEXT "1900-01-01 to 9000-12-31"

/* Strict YYYY-MM-DD, a real day of that month, within the years above.
 * 0; DATE_OUT_OF_RANGE for a real date outside them; -1 for anything
 * else. */
#define DATE_OUT_OF_RANGE (-2)
int date_parse(const char *s, date_t *out);
char *date_format(date_t d, char buf[DATE_FMT_SIZE]);

date_t date_from_ymd(int y, int m, int d);
void date_to_ymd(date_t d, int *y, int *m, int *dd);
int date_valid_ymd(int y, int m, int d);
int date_days_in_month(int y, int m);

/* d + months, the day clamped to the end of the target month
 * (2026-01-31 + 1 month = 2026-02-28). */
date_t date_add_months(date_t d, int months);
date_t date_month_start(date_t d);
date_t date_month_end(date_t d);

/* First day of the fiscal year holding d, for a year starting in month
 * fy_start (1..12). */
date_t date_fiscal_year_start(date_t d, int fy_start);

/* "YYYY-MM" → first day of that month. */
int period_parse(const char *s, date_t *first_day);

#endif
