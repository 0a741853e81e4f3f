#include "date.h"

#include <stdio.h>
#include <string.h>

/* Days from civil, after H. Hinnant's public-domain algorithms. */
date_t date_from_ymd(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (date_t)(era * 146097 + doe - 719468);
}

void date_to_ymd(date_t z0, int *y, int *m, int *d)
{
	int z = z0 + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

int date_days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12)
		return 0;
	return days[m - 1] + (m == 2 && leap);
}

int date_valid_ymd(int y, int m, int d)
{
	return y >= DATE_MIN_YEAR && y <= DATE_MAX_YEAR && m >= 1 && m <= 12 && d >= 1 &&
	       d <= date_days_in_month(y, m);
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int date_parse(const char *s, date_t *out)
{
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0)
		return -1;
	if (!date_valid_ymd(y, m, d)) {
		/* a real date, but outside the years accrue takes */
		if (m >= 1 && m <= 12 && d >= 1 && d <= date_days_in_month(y, m) &&
		    (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR))
			return DATE_OUT_OF_RANGE;
		return -1;
	}
	*out = date_from_ymd(y, m, d);
	return 0;
}

int period_parse(const char *s, date_t *first_day)
{
	int y, m;

	if (strlen(s) != 7 || s[4] != '-')
		return -1;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	if (y < 0 || m < 0 || !date_valid_ymd(y, m, 1))
		return -1;
	*first_day = date_from_ymd(y, m, 1);
	return 0;
}

char *date_format(date_t d, char buf[DATE_FMT_SIZE])
{
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	snprintf(buf, DATE_FMT_SIZE, "%04d-%02d-%02d", y % 10000, m, dd);
	return buf;
}

date_t date_add_months(date_t d, int months)
{
	int y, m, dd, idx, dim;

	date_to_ymd(d, &y, &m, &dd);
	idx = y * 12 + (m - 1) + months;
	y = idx / 12;
	m = idx % 12 + 1;
	dim = date_days_in_month(y, m);
	if (dd > dim)
		dd = dim;
	return date_from_ymd(y, m, dd);
}

date_t date_month_start(date_t d)
{
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	return date_from_ymd(y, m, 1);
}

date_t date_month_end(date_t d)
{
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	return date_from_ymd(y, m, date_days_in_month(y, m));
}

date_t date_fiscal_year_start(date_t d, int fy_start)
{
	int y, m, dd;

	if (fy_start < 1 || fy_start > 12)
		fy_start = 1;
	date_to_ymd(d, &y, &m, &dd);
	if (m < fy_start)
		y--;
	return date_from_ymd(y, fy_start, 1);
}
