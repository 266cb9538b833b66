import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AccountsService } from './accounts.service';
import { AccountCreatedDto, CreateAccountDto } from './dto/accounts.dto';
import { ApiErrors } from '../app/auth-errors';

@ApiTags('accounts')
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  // The same per-IP limit as the sign-in routes: sign-up costs an Argon2id hash, and email_taken
  // answers tell whether an address has an account, so neither may run unbounded.
  @UseGuards(ThrottlerGuard)
  @ApiCreatedResponse({ type: AccountCreatedDto })
  @ApiErrors('weak_password', 'signup_closed', 'email_taken', 'too_many_requests')
  create(@Body() body: CreateAccountDto): Promise<AccountCreatedDto> {
    return this.accounts.signUp(body.email, body.password);
  }
}
