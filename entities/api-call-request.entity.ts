import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * `prompted`: the agent was asked in Telegram; `placing`: their tap (or their standing yes) is being
 * placed; `placed`: a call came of it; `refused`: the intake refused it; `declined`: the agent said
 * Not now. A prompt is claimed by one conditional update, so two taps place one call.
 */
export type ApiCallRequestState = 'prompted' | 'placing' | 'placed' | 'refused' | 'declined';

/**
 * A call asked for through `POST /v1/calls`, and its idempotency record: the same key's same
 * `Idempotency-Key` is answered from here (the same body) or refused (another body).
 */
@Entity('api_call_requests')
@Index('uq_api_call_requests_key_idempotency', ['keyId', 'idempotencyKey'], { unique: true })
export class ApiCallRequest {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'integer' })
  keyId!: number;

  @Column({ type: 'varchar', length: 128 })
  idempotencyKey!: string;

  /** Hex SHA-256 of the request body as the schema read it. */
  @Column({ type: 'varchar', length: 64 })
  bodyHash!: string;

  @Column({ type: 'varchar', length: 20 })
  agentTelegramId!: string;

  /** The number as the CRM sent it: the intake checks it again when the agent taps. */
  @Column({ type: 'varchar', length: 64 })
  number!: string;

  /** Who asked, as the agent's prompt names it (the CRM's name, or the key's). */
  @Column({ type: 'varchar', length: 64 })
  requester!: string;

  @Column({ type: 'varchar', length: 12 })
  state!: ApiCallRequestState;

  @Column({ type: 'varchar', length: 36, nullable: true })
  callId!: string | null;

  /** The HTTP answer first given, replayed for the same key and body. */
  @Column({ type: 'integer' })
  responseStatus!: number;

  @Column({ type: 'text' })
  responseBody!: string;

  @CreateDateColumn({ type: Date })
  createdAt!: Date;
}
