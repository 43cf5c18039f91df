import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The last local day a scheduled report went out, by report name (reports/daily-report.ts). Whoever
 * moves `last_day` forward with one conditional update sends that day's report, so it goes out once
 * across restarts and across several instances on one database.
 */
@Entity('report_marks')
export class ReportMark {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  name!: string;

  /** `YYYY-MM-DD` in the report's time zone; text, so it compares in order on every database. */
  @Column({ type: 'varchar', length: 10 })
  lastDay!: string;
}
